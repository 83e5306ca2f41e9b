/** Ansible's tag selection, including the special tags always, never, tagged, untagged and all. */
export function tagsSelected(taskTags: string[], only: string[], skip: string[]): boolean {
  const tags = new Set(taskTags.map(String));
  if (skip.length) {
    if (skip.includes('all')) return false;
    if (skip.includes('tagged') && tags.size) return false;
    if (skip.includes('untagged') && !tags.size) return false;
    if ([...tags].some((t) => skip.includes(t))) return false;
  }
  if (!only.length || only.includes('all')) return !tags.has('never') || [...tags].some((t) => only.includes(t) && t !== 'never');
  if (tags.has('always')) return true;
  if (only.includes('tagged') && tags.size) return true;
  if (only.includes('untagged') && !tags.size) return true;
  return [...tags].some((t) => only.includes(t));
}
