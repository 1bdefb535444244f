import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { acknowledgeGuardRule } from '../core/nag-acknowledgements';
import { ResolvedFilterRule } from './render/resolve-monitor-options';
import { SENSOR_HEALTH_PORT, VXLAN_PORT } from './render/sensor-config';

export interface MirrorTargetProps {
  readonly vpc: ec2.IVpc;
  readonly sensorSubnets: ec2.SubnetSelection;
  /** CIDRs of the web tier: the only sources of mirrored packets (they come from the hosts' interfaces). */
  readonly sourceCidrs: string[];
  readonly filterRules: ResolvedFilterRule[];
  readonly mirrorAmazonDns: boolean;
  readonly deletionProtection: boolean;
}

/**
 * @internal
 * Where mirrored packets go: an internal Network Load Balancer with a UDP 4789
 * listener in the monitor's own subnets (the Traffic Mirroring target), and
 * the filter that chooses which packets are mirrored. Part of the monitor layer.
 */
export class MirrorTarget extends Construct {
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  public readonly listener: elbv2.NetworkListener;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly targetId: string;
  public readonly filterId: string;

  constructor(scope: Construct, id: string, props: MirrorTargetProps) {
    super(scope, id);
    // Mirrored packets keep the source interface's address: the web tier's CIDRs may send VXLAN here,
    // and nothing else may send anything. The sensors behind it never answer (see the sensor firewall).
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: 'Monitor layer mirror target: VXLAN from the web tier only',
    });
    props.sourceCidrs.forEach(cidr =>
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(VXLAN_PORT), 'Traffic Mirroring (VXLAN) from the web tier'));

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.sensorSubnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.securityGroup],
      deletionProtection: props.deletionProtection,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Network Load Balancer access logs cover TLS listeners only; this one has a single UDP listener carrying mirrored packets, which the sensors log themselves.',
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'NIST.800.53.R5-ELBLoggingEnabled',
      reason: 'Network Load Balancer access logs cover TLS listeners only; this one has a single UDP listener carrying mirrored packets, which the sensors log themselves.',
    });
    acknowledgeGuardRule(this.loadBalancer, 'elbv2_logging_enabled_check',
      'Network Load Balancer access logs cover TLS listeners only; this one has a single UDP listener carrying mirrored packets, which the sensors log themselves.');
    this.listener = this.loadBalancer.addListener('Vxlan', { port: VXLAN_PORT, protocol: elbv2.Protocol.UDP });
    Validations.of(this.listener).acknowledge({
      id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      reason: 'A UDP listener for Traffic Mirroring, which sends VXLAN in clear inside the VPC: no TLS is possible on it.',
    });

    const target = new ec2.CfnTrafficMirrorTarget(this, 'Target', {
      networkLoadBalancerArn: this.loadBalancer.loadBalancerArn,
      description: 'cdk-defence-in-depth monitor layer: the sensor fleet',
    });
    this.targetId = target.ref;

    const filter = new ec2.CfnTrafficMirrorFilter(this, 'Filter', {
      description: 'cdk-defence-in-depth monitor layer: what the web hosts mirror',
      networkServices: props.mirrorAmazonDns ? ['amazon-dns'] : undefined,
    });
    this.filterId = filter.ref;
    for (const rule of props.filterRules) {
      new ec2.CfnTrafficMirrorFilterRule(this, `${rule.direction === 'ingress' ? 'Inbound' : 'Outbound'}${rule.ruleNumber}`, {
        trafficMirrorFilterId: filter.ref,
        trafficDirection: rule.direction,
        ruleNumber: rule.ruleNumber,
        ruleAction: rule.action,
        protocol: rule.protocol,
        sourceCidrBlock: rule.sourceCidr,
        destinationCidrBlock: rule.destinationCidr,
        sourcePortRange: rule.sourcePorts && { fromPort: rule.sourcePorts.from, toPort: rule.sourcePorts.to },
        destinationPortRange: rule.destinationPorts && { fromPort: rule.destinationPorts.from, toPort: rule.destinationPorts.to },
      });
    }
  }

  /** Sends the mirrored packets to the sensors, checked healthy on their health port. */
  public addSensors(sensors: elbv2.INetworkLoadBalancerTarget): elbv2.NetworkTargetGroup {
    return this.listener.addTargets('Sensors', {
      port: VXLAN_PORT,
      protocol: elbv2.Protocol.UDP,
      targets: [sensors],
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        port: String(SENSOR_HEALTH_PORT),
        path: '/',
        interval: Duration.seconds(30),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      deregistrationDelay: Duration.seconds(30),
    });
  }
}
