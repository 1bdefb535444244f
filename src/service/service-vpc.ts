import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Subnet group names of the service's VPC: one per role, so no two layers share a subnet by accident. */
export const SERVICE_SUBNETS = {
  /** The load balancer and the web tier's NAT gateways. */
  public: 'public',
  /** The web hosts (private, egress through the public group's NAT gateways). */
  web: 'web',
  /** The monitor layer's own NAT gateways. */
  monitorPublic: 'monitor-public',
  /** The sensors and the mirror target (isolated; egress through the monitor's own NAT gateways). */
  sensors: 'sensors',
} as const;

/**
 * A VPC with a subnet group per role, over two zones: the web tier egresses
 * through NAT gateways in 'public', the sensors through the monitor layer's
 * own NAT gateways in 'monitor-public', so a failed NAT cannot silence both.
 */
export function serviceVpc(scope: Construct, id: string, maxAzs = 2): ec2.Vpc {
  return new ec2.Vpc(scope, id, {
    maxAzs,
    natGateways: maxAzs,
    natGatewaySubnets: { subnetGroupName: SERVICE_SUBNETS.public },
    subnetConfiguration: [
      // Nothing in the public groups needs a public address of its own (load balancer, NAT gateways).
      { name: SERVICE_SUBNETS.public, subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
      { name: SERVICE_SUBNETS.web, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: SERVICE_SUBNETS.monitorPublic, subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
      { name: SERVICE_SUBNETS.sensors, subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}
