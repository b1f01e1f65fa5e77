/** Every conformance case, in report order: one file per docs/protocol.md section (or part of one). */
import type { ConformanceCase } from '../types.js';
import { badInputCases } from './s1-bad-input.js';
import { framingCases } from './s1-framing.js';
import { p2pFramingCases } from './s1-p2p-framing.js';
import { refusedTypeCases } from './s3-api-refused.js';
import { apiCases } from './s3-api.js';
import { deliveryPathCases } from './s3-delivery-paths.js';
import { forwardingCases } from './s3-1-forwarding.js';
import { ttlCases } from './s3-1-ttl.js';
import { proofCases } from './s4-1-proof.js';
import { lifecycleCases } from './s4-2-lifecycle.js';
import { discoveryCases } from './s4-3-discovery.js';
import { spreadingCases } from './s4-4-spreading.js';
import { rateCases } from './s4-5-rates.js';
import { treeCases } from './s4-8-tree.js';

export const allCases: readonly ConformanceCase[] = [
  ...framingCases,
  ...badInputCases,
  ...deliveryPathCases,
  ...apiCases,
  ...refusedTypeCases,
  ...forwardingCases,
  ...ttlCases,
  ...lifecycleCases,
  ...proofCases,
  ...p2pFramingCases,
  ...discoveryCases,
  ...spreadingCases,
  ...rateCases,
  ...treeCases,
];
