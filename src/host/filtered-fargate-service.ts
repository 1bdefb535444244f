import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeGuardRule, acknowledgeWildcardResources } from '../core/nag-acknowledgements';
import { PropValidator } from '../core/validation-error';

/** The application of a Fargate web service: its image and the task's size. */
export interface FargateHostsOptions {
  /**
   * The application's image. It must listen on 127.0.0.1 at the filter's
   * `appPort` (the task's containers share one network namespace); it publishes
   * no port of its own.
   */
  readonly appImage: ecs.ContainerImage;
  /** Environment of the app container (no secrets: use `appSecrets`). @default - none */
  readonly appEnvironment?: Record<string, string>;
  /** Secrets of the app container, from Secrets Manager or SSM. @default - none */
  readonly appSecrets?: Record<string, ecs.Secret>;
  /** Task CPU units: 256, 512, 1024, 2048 or 4096. @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB, valid for `cpu` (Fargate's table). @default 1024 */
  readonly memoryLimitMiB?: number;
  /** Number of tasks, 1 to 100. @default 2 */
  readonly desiredCount?: number;
  /**
   * ECS Exec (a shell through SSM Session Manager, logged into the host
   * layer's log group): the only admin path to a task. Off, nobody gets in.
   * @default true
   */
  readonly enableExecuteCommand?: boolean;
}

export interface FilteredFargateServiceProps extends FargateHostsOptions {
  readonly vpc: ec2.IVpc;
  /** Where the tasks run. @default - the VPC's private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/** What the Fargate service needs from the host layer (kept small so it does not reach into the layer). */
export interface IFargateFilterRuntime {
  readonly listenPort: number;
  readonly appPort: number;
  readonly logGroup: logs.ILogGroup;
  readonly logKey?: kms.IKey;
  /** Adds the filter sidecar in front of the app container. */
  addSidecar(taskDefinition: ecs.FargateTaskDefinition, appContainer: ecs.ContainerDefinition, memoryLimitMiB: number): ecs.ContainerDefinition;
}

/** Memory kept for the filter sidecar; the app container gets the rest of the task's. */
const FILTER_MEMORY_MIB = 256;

/** Fargate's CPU (units) → allowed memory (MiB). */
const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

/**
 * A Fargate service whose tasks run the host filter as a sidecar in front of
 * the application: the load balancer can reach only the filter's port, the app
 * listens on localhost inside the task. No inbound admin port: ECS Exec
 * (through SSM) is the only way in. Mirroring cannot see Fargate; the monitor
 * layer covers it with flow logs and, optionally, GuardDuty Runtime Monitoring.
 */
export class FilteredFargateService extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly appContainer: ecs.ContainerDefinition;
  public readonly filterContainer: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  /** The filter container of every task, as a load balancer target. */
  public readonly loadBalancerTarget: elbv2.IApplicationLoadBalancerTarget;
  /** Port the load balancer must target (the filter's). */
  public readonly port: number;
  public readonly vpc: ec2.IVpc;
  public readonly vpcSubnets?: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: FilteredFargateServiceProps, filter: IFargateFilterRuntime) {
    super(scope, id);
    const cpu = props.cpu ?? 512;
    const memory = props.memoryLimitMiB ?? 1024;
    const v = new PropValidator(this);
    v.check(FARGATE_SIZES[cpu] !== undefined, 'cpu', cpu, Object.keys(FARGATE_SIZES).join(', '));
    v.check(FARGATE_SIZES[cpu] === undefined || FARGATE_SIZES[cpu].includes(memory), 'memoryLimitMiB', memory,
      `a Fargate size for cpu ${cpu}: ${(FARGATE_SIZES[cpu] ?? []).join(', ')}`);
    v.integerInRange('desiredCount', props.desiredCount ?? 2, 1, 100);
    v.throwIfInvalid();
    this.port = filter.listenPort;
    this.vpc = props.vpc;
    this.vpcSubnets = props.vpcSubnets;
    const exec = props.enableExecuteCommand ?? true;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      executeCommandConfiguration: exec ? {
        kmsKey: filter.logKey,
        logging: ecs.ExecuteCommandLogging.OVERRIDE,
        logConfiguration: { cloudWatchLogGroup: filter.logGroup, cloudWatchEncryptionEnabled: filter.logKey !== undefined },
      } : undefined,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu,
      memoryLimitMiB: memory,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.appContainer = this.taskDefinition.addContainer('App', {
      image: props.appImage,
      essential: true,
      memoryLimitMiB: memory - FILTER_MEMORY_MIB,
      environment: props.appEnvironment,
      secrets: props.appSecrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: filter.logGroup, streamPrefix: 'app' }),
    });
    this.filterContainer = filter.addSidecar(this.taskDefinition, this.appContainer, FILTER_MEMORY_MIB);
    acknowledgeGuardRule(this.taskDefinition, 'ecs_task_definition_nonroot_user_check',
      'The filter\'s nginx master starts as root to bind the filter port (Fargate cannot grant NET_BIND_SERVICE alone) and runs its workers as www-data; '
      + 'the app image chooses its own user.');
    acknowledgeGuardRule(this.taskDefinition, 'ecs_containers_readonly_access_check',
      'The filter writes its pid, temporary request bodies and the CRS state under /run, /var/lib/nginx and /tmp; its configuration is baked into the image and validated at build.');
    acknowledgeGuardRule(this.cluster, 'ecs_container_insights_enabled_check',
      'Container Insights is on at its enhanced level (ClusterSettings containerInsights = enhanced), which the rule does not recognise.');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      enableExecuteCommand: exec,
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      healthCheckGracePeriod: Duration.minutes(2),
    });
    const filterContainer = { containerName: this.filterContainer.containerName, containerPort: filter.listenPort };
    this.loadBalancerTarget = this.service.loadBalancerTarget(filterContainer);
    // The role's default policy is written later (ECS Exec's grants): acknowledged on the role, which covers it.
    if (exec) {
      const sessionLogs = Stack.of(this).formatArn({
        service: 'logs', resource: 'log-group', resourceName: `${filter.logGroup.logGroupName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      acknowledgeWildcardResources(this.taskDefinition.taskRole, ['*', sessionLogs],
        'ECS Exec: the SSM messages channel (ssmmessages:*Channel) and DescribeLogGroups have no resource-level permissions; '
        + 'the session logs go to streams of the host layer\'s own log group, named per session.');
    }
    const executionPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      acknowledgeWildcardResources(executionPolicy, ['*'],
        'ecr:GetAuthorizationToken has no resource-level permissions; pulls are limited to the images of this task.');
    }
    Validations.of(this.taskDefinition).acknowledge({
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason: 'The task and execution roles get the grants ECS needs (image pull, log writes, ECS Exec) as CDK writes them: a default policy of each role, '
        + 'scoped to this task\'s image, log group and cluster, and attached to nothing else.',
    });
    if (props.appEnvironment) {
      Validations.of(this.taskDefinition).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason: 'The environment variables are the app\'s own (appEnvironment), documented as holding no secrets; secrets go through appSecrets.',
      });
    }
  }
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}
