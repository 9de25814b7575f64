/**
 * The labelled dev container: created once, reused across VS Code restarts
 * (found by its label and name), removed by a command. BPF and network
 * namespaces need privileges: `--privileged` where the engine allows it, else
 * the capability set measured in FIELD-NOTES.md (some engines never grant
 * CAP_SYS_RESOURCE, which makes --privileged fail).
 */
import type Docker from 'dockerode';

export const DEV_CONTAINER_LABEL = 'dev.policy-studio.container';

export interface DevContainerOptions {
  image: string;
  /** Container name; also the label's value. */
  name: string;
  /** Default `none`: the lab lives in its own namespaces inside the container and needs no network. */
  networkMode?: string;
  log?(message: string): void;
}

export type PrivilegeMode = 'privileged' | 'capabilities';

/** Everything but CAP_SYS_RESOURCE, no seccomp/AppArmor filter, /proc and /sys unmasked, all devices. */
export const CAPABILITY_HOST_CONFIG = {
  CapAdd: ['ALL'],
  CapDrop: ['SYS_RESOURCE'],
  SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
  MaskedPaths: [] as string[],
  ReadonlyPaths: [] as string[],
  DeviceCgroupRules: ['a *:* rwm'],
};

async function create(docker: Docker, o: DevContainerOptions, mode: PrivilegeMode): Promise<Docker.Container> {
  return docker.createContainer({
    name: o.name,
    Image: o.image,
    Cmd: ['sleep', 'infinity'],
    Labels: { [DEV_CONTAINER_LABEL]: o.name, 'dev.policy-studio.privileges': mode },
    HostConfig: {
      NetworkMode: o.networkMode ?? 'none',
      ...(mode === 'privileged' ? { Privileged: true } : CAPABILITY_HOST_CONFIG),
    },
  });
}

export async function findDevContainer(docker: Docker, name: string): Promise<Docker.ContainerInfo | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${DEV_CONTAINER_LABEL}=${name}`] } });
  return list[0];
}

/** The running dev container: reused when it exists (started if stopped), created otherwise. */
export async function ensureDevContainer(docker: Docker, o: DevContainerOptions): Promise<{ container: Docker.Container; created: boolean; privileges: PrivilegeMode }> {
  const existing = await findDevContainer(docker, o.name);
  if (existing && existing.Image === o.image) {
    const container = docker.getContainer(existing.Id);
    if (existing.State !== 'running') await container.start();
    return { container, created: false, privileges: (existing.Labels['dev.policy-studio.privileges'] as PrivilegeMode) ?? 'capabilities' };
  }
  // A container from an older image is replaced (its lab state lives in the container).
  if (existing) await docker.getContainer(existing.Id).remove({ force: true });
  let container = await create(docker, o, 'privileged');
  try {
    await container.start();
    return { container, created: true, privileges: 'privileged' };
  } catch (e) {
    o.log?.(`--privileged refused by the engine (${(e as Error).message.trim()}); using the capability set instead`);
    await container.remove({ force: true });
  }
  container = await create(docker, o, 'capabilities');
  await container.start();
  return { container, created: true, privileges: 'capabilities' };
}

/** The "remove dev container" command: the lab inside goes with it. */
export async function removeDevContainer(docker: Docker, name: string): Promise<boolean> {
  const existing = await findDevContainer(docker, name);
  if (!existing) return false;
  await docker.getContainer(existing.Id).remove({ force: true });
  return true;
}
