// Generated TypeScript goes through Prettier with the project's settings, like the
// hand-written code: one style everywhere, and `prettier --check` passes on generated/.
import { format, resolveConfig } from 'prettier';
import { join } from 'node:path';

/** Formats every `.ts` file of `files` (paths relative to `root`) in place. */
export async function formatTypeScript(files: Map<string, string>, root: string): Promise<void> {
  for (const [path, source] of files) {
    if (!path.endsWith('.ts')) continue;
    const filepath = join(root, path);
    const options = (await resolveConfig(filepath)) ?? {};
    files.set(path, await format(source, { ...options, filepath }));
  }
}
