#!/usr/bin/env node
// A defended service on Fargate: the app's container behind the host filter as a
// sidecar, an API authenticated on the load balancer with JWT validation, only the
// listed paths and methods forwarded, and GuardDuty Runtime Monitoring where Traffic
// Mirroring cannot see (the report's "Monitoring coverage" says so).
import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DefendedWebService, RouteAuthentication } from '../../src';
import { checkedApp, PLACEHOLDERS } from '../shared/checked-app';

const app = checkedApp();
const stack = new Stack(app, 'FargateService', { env: PLACEHOLDERS.env });
new DefendedWebService(stack, 'Web', {
  certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', PLACEHOLDERS.certificateArn),
  domainName: PLACEHOLDERS.domainName,
  fargate: {
    // Any image that listens on 127.0.0.1:8080 (the filter's appPort) and answers /healthz.
    appImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    desiredCount: 2,
  },
  routes: [
    { pathPatterns: ['/', '/healthz', '/static/*'], methods: ['GET', 'HEAD'] },
    {
      pathPatterns: ['/api/*'],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      authentication: RouteAuthentication.jwt({ issuer: 'https://id.example.com', jwksEndpoint: 'https://id.example.com/.well-known/jwks.json' }),
    },
  ],
  monitor: { enableGuardDuty: true },
  watch: { emails: [PLACEHOLDERS.alarmEmail] },
});
app.synth();
