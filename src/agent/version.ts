/** The agent's version is the extension's: they ship together, and hello compares them. */
import manifest from '../../package.json';

export const AGENT_VERSION: string = manifest.version;
