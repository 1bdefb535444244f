import { PACK_NAME } from '../defence-analysis';
import { ALL_RULES } from './index';

/** Rules that arrive with their layer's issue: listed so RULES.md shows the whole pack's plan. */
const PLANNED = [
  ['EveryWebHostMirrored', 'Every web host that supports VPC Traffic Mirroring has a mirror session to the sensor fleet.', 'the composite DefendedWebService (src/service)'],
];

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
    '## Arriving with their layer',
    '',
    '| rule | requires | lands with |',
    '|---|---|---|',
    ...PLANNED.map(([id, req, layer]) => `| \`${PACK_NAME}-${id}\` | ${req} | ${layer} |`),
    '',
  ].join('\n');
}
