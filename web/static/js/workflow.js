// Case states and the actions each role may take (mirrors the server's rules, which decide;
// this only chooses which buttons to show).
export const OPEN = new Set(["reported", "registered", "dispatched", "processing", "responded", "suspended"]);
export const CLOSED = new Set(["closed", "cancelled", "merged"]);

const RULES = {
  register: [["reported"], ["commander"]],
  cancel: [["reported", "registered"], ["commander"]],
  dispatch: [["registered"], ["commander"]],
  accept: [["dispatched"], ["handler", "field_staff"]],
  respond: [["processing"], ["handler", "field_staff"]],
  verify_pass: [["responded"], ["supervisor"]],
  verify_fail: [["responded"], ["supervisor"]],
  request_extension: [["dispatched", "processing"], ["handler", "field_staff"]],
  approve_extension: [["dispatched", "processing"], ["commander"]],
  reject_extension: [["dispatched", "processing"], ["commander"]],
  suspend: [["dispatched", "processing"], ["commander"]],
  resume: [["suspended"], ["commander"]],
};

/** Actions `role` may take on `kase` (extension approval only when one is pending). */
export function actionsFor(kase, role) {
  return Object.entries(RULES)
    .filter(([action, [states, roles]]) =>
      states.includes(kase.state) && (role === "admin" || roles.includes(role)) &&
      (!action.endsWith("_extension") || action === "request_extension"
        ? true : Boolean(kase.extension_requested_hours)))
    .map(([action]) => action);
}

/** Shape + word for a state: never colour alone. */
export function stateBadge(kase) {
  if (kase.overdue) return { cls: "overdue", sym: "⚠" };
  if (CLOSED.has(kase.state)) return { cls: kase.state === "closed" ? "closed" : "cancelled", sym: kase.state === "closed" ? "✔" : "✕" };
  return { cls: "open", sym: "●" };
}
