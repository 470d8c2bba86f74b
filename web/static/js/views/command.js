// View: command.
export async function mount({ panel }) {
  panel.textContent = "";
}

export function unmount() {}
