/**
 * The dev image the Docker target runs: built from the Dockerfile the
 * extension ships (docker/Dockerfile) on the user's base image. Its tag carries
 * a hash of the Dockerfile and the base, so an image is built once and rebuilt
 * only when either changes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';

export const DEFAULT_BASE_IMAGE = 'debian:bookworm';
export const DEV_IMAGE_REPO = 'policy-studio-dev';

export interface DevImageOptions {
  dockerfile: string;
  baseImage?: string;
  /** Network for the build's RUN steps (apt); `host` where the engine has no bridge. */
  buildNetworkMode?: string;
  onProgress?(line: string): void;
}

export function devImageTag(dockerfileText: string, baseImage: string): string {
  const hash = createHash('sha256').update(dockerfileText).update('\0').update(baseImage).digest('hex').slice(0, 12);
  return `${DEV_IMAGE_REPO}:${hash}`;
}

function contextTar(dockerfileText: string): NodeJS.ReadableStream {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, dockerfileText);
  p.finalize();
  return p as unknown as NodeJS.ReadableStream;
}

/** Returns the dev image's tag, building it when the engine does not have it yet. */
export async function ensureDevImage(docker: Docker, options: DevImageOptions): Promise<{ tag: string; built: boolean }> {
  const text = fs.readFileSync(options.dockerfile, 'utf8');
  const base = options.baseImage || DEFAULT_BASE_IMAGE;
  const tag = devImageTag(text, base);
  try {
    await docker.getImage(tag).inspect();
    return { tag, built: false };
  } catch { /* not there yet */ }
  const stream = await docker.buildImage(contextTar(text), {
    t: tag, buildargs: { BASE: base }, rm: true, forcerm: true, ...(options.buildNetworkMode ? { networkmode: options.buildNetworkMode } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = err ?? output.find((o) => o.error);
      if (failed) reject(new Error(`building the dev image from ${base} failed: ${failed instanceof Error ? failed.message : failed.error}`));
      else resolve();
    }, (event: { stream?: string; error?: string }) => {
      const line = (event.stream ?? event.error ?? '').trim();
      if (line) options.onProgress?.(line);
    });
  });
  await removeOlderDevImages(docker, tag);
  return { tag, built: true };
}

/** Dev images of earlier Dockerfiles or bases are dead weight (~500 MB each); one still used by a container stays. */
async function removeOlderDevImages(docker: Docker, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [DEV_IMAGE_REPO] } }).catch(() => []);
  for (const image of images) {
    if ((image.RepoTags ?? []).includes(keep)) continue;
    await docker.getImage(image.Id).remove().catch(() => undefined);
  }
}
