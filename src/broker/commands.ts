import { localBrokerEnv, ProfileStore } from '../config/index.js';
import { LocalBroker, DEFAULT_BROKER_OPTIONS, type BrokerState } from './local.js';

export interface UpRequest {
  servicePort: number;
  webPort: number;
  heapMb: number;
  onProgress?: (text: string) => void;
}

export interface UpResult {
  alreadyRunning: boolean;
  seconds: number;
  state: BrokerState;
  profile: string;
  source?: string;
}

/**
 * `miso broker up`: start (or find) the local broker, then record a `local` profile that
 * points at it; the profile becomes the default when none is selected yet.
 */
export async function brokerUp(req: UpRequest, broker = new LocalBroker(), store = new ProfileStore()): Promise<UpResult> {
  const env = localBrokerEnv();
  const r = await broker.up({
    servicePort: req.servicePort,
    webPort: req.webPort,
    heapMb: req.heapMb,
    version: env.pulsarVersion ?? DEFAULT_BROKER_OPTIONS.version,
    pulsarHome: env.pulsarHome,
  }, req.onProgress);
  const profile = 'local';
  store.put(profile, { serviceUrl: r.state.serviceUrl, adminUrl: r.state.adminUrl }, { merge: true });
  if (!store.current()) store.use(profile);
  return {
    alreadyRunning: r.alreadyRunning, seconds: r.seconds, state: r.state, profile,
    ...(r.distribution?.kind === 'local' ? { source: r.distribution.source } : {}),
  };
}
