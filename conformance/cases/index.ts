/** Every conformance case, in report order: one file per docs/protocol.md section. */
import type { ConformanceCase } from '../types.js';
import { framingCases, p2pFramingCases } from './s1-framing.js';
import { apiCases } from './s3-api.js';
import { forwardingCases } from './s3-1-forwarding.js';
import { proofCases } from './s4-1-proof.js';
import { lifecycleCases } from './s4-2-lifecycle.js';
import { discoveryCases } from './s4-3-discovery.js';
import { spreadingCases } from './s4-4-spreading.js';
import { rateCases } from './s4-5-rates.js';

export const allCases: readonly ConformanceCase[] = [
  ...framingCases,
  ...apiCases,
  ...forwardingCases,
  ...lifecycleCases,
  ...proofCases,
  ...p2pFramingCases,
  ...discoveryCases,
  ...spreadingCases,
  ...rateCases,
];
