// Whether a process is still there, by pid: the peer's pid-file check, the launcher's view of
// its peers, and a peer watching the process that started it all ask the same question.

/** True while a process with this pid exists (one owned by another user counts: EPERM). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
