import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * A workload VPC with a subnet group per role: 'public' (the load balancer and the web tier's NAT
 * gateways), 'web' (private, egress through those NAT gateways), 'sensors' (the monitor's own).
 * With `monitorEgress`, the sensors are isolated and 'monitor-public' holds the monitor's NAT
 * gateways, as the README recommends; without it the sensors share the web tier's NAT gateways.
 */
export function workloadVpc(stack: Stack, monitorEgress = true): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: monitorEgress ? 2 : 1,
    natGatewaySubnets: { subnetGroupName: 'public' },
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'web', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ...(monitorEgress ? [{ name: 'monitor-public', subnetType: ec2.SubnetType.PUBLIC }] : []),
      { name: 'sensors', subnetType: monitorEgress ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
}

/** Where the monitor layer runs in a `workloadVpc`: the web subnets watched, the sensors in their own subnets and NAT. */
export function monitorPlacement(vpc: ec2.IVpc) {
  return {
    vpc,
    webSubnets: { subnetGroupName: 'web' },
    sensorSubnets: { subnetGroupName: 'sensors' },
    sensorNatSubnets: { subnetGroupName: 'monitor-public' },
  };
}
