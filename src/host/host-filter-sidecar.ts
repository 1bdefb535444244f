import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HostFilterSidecarProps } from './host-filter';
import { PropValidator } from '../core/validation-error';
import { BLOCK_HEADER, DEBIAN_PACKAGES, PRELOAD_ALLOCATOR } from './render/render-host-filter';


/** What the sidecar needs from the host layer. */
export interface SidecarFilter {
  readonly node: { readonly path: string };
  readonly listenPort: number;
  readonly appPort: number;
  readonly logGroup: logs.ILogGroup;
  _render(kind: 'systemd' | 'container'): Record<string, string>;
}

/** The sidecar image: Debian 12 slim, the same packages and rendered files; the build fails if they do not load. */
export function sidecarDockerfile(listenPort: number): string {
  return `# Rendered by cdk-defence-in-depth (HostFilter sidecar).
FROM debian:bookworm-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(' ')} \\
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
COPY files/ /etc/nginx/defence-in-depth/
# Logs go to the task's log group (awslogs driver); an invalid config fails the build (fail closed).
RUN sh /etc/nginx/defence-in-depth/prepare-crs.sh \\
 && install -d -o www-data -g www-data /var/lib/nginx-defence \\
 && ln -sf /dev/stdout /var/log/nginx/access.json \\
 && ln -sf /dev/stdout /var/log/nginx/modsec_audit.json \\
 && ln -sf /dev/stderr /var/log/nginx/error.log \\
 && nginx -t -c /etc/nginx/defence-in-depth/nginx.conf
ENV LD_PRELOAD=${PRELOAD_ALLOCATOR}
EXPOSE ${listenPort}
CMD ["nginx", "-c", "/etc/nginx/defence-in-depth/nginx.conf"]
`;
}

/** Adds the filter container in front of `appContainer` (see `HostFilter.addSidecar`). */
export function addHostFilterSidecar(
  filter: SidecarFilter, taskDefinition: ecs.FargateTaskDefinition, props: HostFilterSidecarProps,
): ecs.ContainerDefinition {
  const v = new PropValidator(filter as any);
  v.checkDescribed(props.appContainer.taskDefinition === taskDefinition, 'appContainer', `'${props.appContainer.node.path}' (in another task)`,
    'a container of the same task definition');
  v.checkDescribed(props.appContainer.portMappings.length === 0, 'appContainer',
    `'${props.appContainer.node.path}' (publishes ports ${props.appContainer.portMappings.map(p => p.containerPort).join(', ')})`,
    `a container without port mappings: only the filter (port ${filter.listenPort}) may be a load balancer target; the app listens on 127.0.0.1:${filter.appPort}`);
  v.throwIfInvalid();

  // The image's build context: the Dockerfile and the rendered files (content-addressed by the asset hash).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-filter-sidecar-'));
  fs.mkdirSync(path.join(dir, 'files'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), sidecarDockerfile(filter.listenPort));
  for (const [name, content] of Object.entries(filter._render('container'))) fs.writeFileSync(path.join(dir, 'files', name), content);

  const container = taskDefinition.addContainer('HostFilter', {
    image: ecs.ContainerImage.fromAsset(dir),
    essential: true,
    memoryLimitMiB: props.memoryLimitMiB,
    portMappings: [{ containerPort: filter.listenPort }],
    logging: ecs.LogDrivers.awsLogs({ logGroup: filter.logGroup, streamPrefix: 'host-filter' }),
    dockerLabels: { 'cdk-defence-in-depth.layer': 'host', 'cdk-defence-in-depth.block-header': BLOCK_HEADER },
  });
  // The filter proxies to the app: start the app first.
  container.addContainerDependencies({ container: props.appContainer, condition: ecs.ContainerDependencyCondition.START });
  return container;
}
