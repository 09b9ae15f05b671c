// Where a reader stopped in a source, so a restart resumes there and never re-reads old lines.

/** A file's read position: the same device and inode resume at `offset`. */
export interface SourcePosition {
  dev: number;
  ino: number;
  offset: number;
}
