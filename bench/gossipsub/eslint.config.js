// The project's lint rules for this package, which the root config skips: its imports resolve
// only once bench:net (or `npm ci` here) installed this folder's node_modules.
import root from '../../eslint.config.js';

export default root.map((entry) =>
  entry.ignores && Object.keys(entry).length === 1
    ? { ignores: entry.ignores.filter((pattern) => pattern !== 'bench/gossipsub/') }
    : entry,
);
