import { checkSnapshots, differences, integApps, normalize, synthesizeInteg } from '../../scripts/integ';

// The integration test apps are checked offline against their committed snapshots, as
// `integ-runner` would without deploying: the templates (asset hashes aside) must match.

test('every integration test app matches its committed snapshot', () => {
  expect(integApps().map(a => a.name)).toEqual(['defended-service']);
  expect(checkSnapshots()).toEqual([]);
});

test('the snapshot check is live: a changed template is reported with the path of the change', () => {
  const [app] = integApps();
  const templates = synthesizeInteg(app.module) as Record<string, any>;
  const name = Object.keys(templates).find(f => f.startsWith('DefendedServiceInteg.'))!;
  const changed = JSON.parse(JSON.stringify(templates[name]));
  const acl = Object.keys(changed.Resources).find(id => changed.Resources[id].Type === 'AWS::WAFv2::WebACL')!;
  changed.Resources[acl].Properties.DefaultAction = { Block: {} };
  expect(differences(templates[name], changed)).toEqual([`/Resources/${acl}/Properties/DefaultAction/Allow: {} → (missing)`, `/Resources/${acl}/Properties/DefaultAction/Block: (missing) → {}`]);
  expect(JSON.stringify(normalize({ Resources: { F: { Properties: { S3Key: `${'a'.repeat(64)}.zip` } } } }))).toContain('<asset-hash>.zip');
});

test('the assertions send the canary through the endpoint (edge) and invoke each layer\'s heartbeat (host: straight to every web host)', () => {
  const [app] = integApps();
  const templates = synthesizeInteg(app.module) as Record<string, any>;
  const assertions = JSON.stringify(templates[Object.keys(templates).find(f => /DeployAssert/.test(f))!]);
  expect(assertions).toMatch(/heartbeat=canary/);
  expect(assertions).toMatch(/x-defence-layer/);
  expect(assertions).toMatch(/canary-blocked/);
  expect((assertions.match(/"Custom::DeployAssert@SdkCallLambdainvoke"/g) ?? []).length).toBe(4);
});
