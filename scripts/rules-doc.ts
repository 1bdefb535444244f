// Writes RULES.md from the rules of the pack (see src/checks/rules/rules-table.ts).
import * as fs from 'fs';
import { rulesMarkdown } from '../src/checks/rules/rules-table';

fs.writeFileSync('RULES.md', rulesMarkdown());
console.log('RULES.md written');
