#!/usr/bin/env node
// The minimal defended service: Debian 12 web hosts on EC2 behind an HTTPS load
// balancer, with every layer (edge, host, monitor, watch, archive) wired by
// DefendedWebService. The README's main job synthesizes this app.
import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { DefendedWebService } from '../../src';
import { checkedApp, PLACEHOLDERS } from '../shared/checked-app';

const app = checkedApp();
const stack = new Stack(app, 'MinimalEc2Service', { env: PLACEHOLDERS.env });
new DefendedWebService(stack, 'Web', {
  certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', PLACEHOLDERS.certificateArn),
  domainName: PLACEHOLDERS.domainName,
  hosts: {
    // The app listens on 127.0.0.1:8080 behind the host filter; here a static page.
    appCommands: ['mkdir -p /srv/www && echo ok > /srv/www/index.html && echo ok > /srv/www/healthz',
      'nohup python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/www >/var/log/app.log 2>&1 &'],
  },
  watch: { emails: [PLACEHOLDERS.alarmEmail] },
});
app.synth();
