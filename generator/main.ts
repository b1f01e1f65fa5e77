// `npm run generate`: regenerate generated/ and docs/messages.md from spec/*.ksy.
// `npm run generate -- --check`: change nothing; exit 1 naming every stale file.
import { runGenerateCommand } from './generate-command.js';

process.exitCode = await runGenerateCommand(process.argv.slice(2));
