#!/usr/bin/env node
// The example app of the README's main job: a log-archive account and a workload
// account whose two layers deliver into the archive, each through its own path.
// The isolation check runs by itself (the app has DefenceLayers) and writes
// cdk.out/defence-in-depth/report.md; cdk-nag and the library's own pack run as
// policy-validation plugins: any unacknowledged finding fails `cdk synth`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { buildLogArchiveExample } from './example';
import { DefenceInDepthChecks } from '../../src';

const app = new App({ context: { '@aws-cdk/core:validationReportJson': true } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new DefenceInDepthChecks(app));
buildLogArchiveExample(app);
app.synth();
