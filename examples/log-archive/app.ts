#!/usr/bin/env node
// The example app of the README's main job: a log-archive account and a workload
// account whose two layers deliver into the archive, each through its own path.
// cdk-nag runs as a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { buildLogArchiveExample } from './example';

const app = new App({ context: { '@aws-cdk/core:validationReportJson': true } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
buildLogArchiveExample(app);
app.synth();
