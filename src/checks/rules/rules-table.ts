import { PACK_NAME } from '../defence-analysis';
import { ALL_RULES } from './index';

/** RULES.md, generated from the rules themselves (`npx projen rules-doc`; a test keeps it in step). */
export function rulesMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '# DefenceInDepthChecks rules',
    '',
    '<!-- Generated from src/checks/rules by `npx projen rules-doc`. Do not edit by hand. -->',
    '',
    'Each rule looks at the synthesized templates of the whole app. Add the pack with',
    '`Validations.of(app).addPlugins(new DefenceInDepthChecks(app))`; acknowledge a finding with',
    '`Validations.of(construct).acknowledge({ id: \'DefenceInDepth-<Rule>\', reason })`.',
    '',
    '| rule | level | requires | why | fix |',
    '|---|---|---|---|---|',
    ...ALL_RULES.map(r => `| \`${PACK_NAME}-${r.id}\` | ${r.level} | ${cell(r.requirement)} | ${cell(r.explanation)} | ${cell(r.fix)} |`),
    '',
  ].join('\n');
}
