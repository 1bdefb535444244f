import { DefenceRule, describe, layersOwning, RuleContext, RuleFinding } from './rule';
import { ResourceNode } from '../model/reference-finder';

const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';
const INGRESS = 'AWS::EC2::SecurityGroupIngress';
const ANYWHERE_V4 = '0.0.0.0/0';
const ANYWHERE_V6 = '::/0';

/** Administration only from trusted networks: no admin port open to the internet. */
export class NoAdminIngressFromInternet implements DefenceRule {
  public readonly id = 'NoAdminIngressFromInternet';
  public readonly requirement = 'No security group allows ingress from 0.0.0.0/0 or ::/0 to an administrative port (SSH 22, Telnet 23, RDP 3389, VNC 5900, WinRM 5985-5986, Docker 2375-2376 unless configured), including rules for all protocols or port ranges that cover one.';
  public readonly explanation = 'Administration goes through SSM Session Manager or a trusted network. An admin port open to the world is a way around every layer of defence.';
  public readonly fix = "Remove the rule and administer through SSM Session Manager, or limit the source to a trusted network's CIDR or prefix list.";
  public readonly level = 'error' as const;

  public appliesTo(ctx: RuleContext): string[] {
    return layersOwning(ctx.model, n => n.type === SECURITY_GROUP || n.type === INGRESS);
  }

  public evaluate(ctx: RuleContext): RuleFinding[] {
    const findings: RuleFinding[] = [];
    const check = (resource: ResourceNode, rule: any, where: string) => {
      const source = rule?.CidrIp === ANYWHERE_V4 ? ANYWHERE_V4 : rule?.CidrIpv6 === ANYWHERE_V6 ? ANYWHERE_V6 : undefined;
      if (!source) return;
      const ports = exposedAdminPorts(rule, ctx.options.adminPorts);
      if (ports.length === 0) return;
      findings.push({
        resource,
        layers: resource.layer ? [resource.layer] : [],
        message: `${describe(resource)} allows ${where}ingress from ${source} to administrative port(s) ${ports.join(', ')}: administer through SSM Session Manager or from a trusted network.`,
      });
    };
    for (const node of ctx.model.resources) {
      if (node.type === SECURITY_GROUP) {
        const rules = Array.isArray(node.properties.SecurityGroupIngress) ? node.properties.SecurityGroupIngress : [];
        rules.forEach((rule: any, i: number) => check(node, rule, `(SecurityGroupIngress[${i}]) `));
      } else if (node.type === INGRESS) {
        check(node, node.properties, '');
      }
    }
    return findings;
  }
}

/** The admin ports a rule opens: all of them for protocol -1, else those in [FromPort, ToPort] for tcp/udp. */
function exposedAdminPorts(rule: any, adminPorts: number[]): number[] {
  const protocol = String(rule.IpProtocol ?? '').toLowerCase();
  if (protocol === '-1' || protocol === 'all') return adminPorts;
  if (!['tcp', 'udp', '6', '17'].includes(protocol)) return [];
  const from = Number(rule.FromPort);
  const to = Number(rule.ToPort);
  // Unresolvable ports (tokens, parameters) count as open: the rule cannot be shown safe.
  if (!Number.isFinite(from) || !Number.isFinite(to)) return adminPorts;
  if (from === -1 && to === -1) return adminPorts;
  return adminPorts.filter(p => p >= from && p <= to);
}
