"""Operations: backups and restores, scheduled backups, disk checks, the doctor report."""
