/** Every conformance case, in report order: one file per PROTOCOL.md section. */
import type { ConformanceCase } from '../types.js';
import { framingCases } from './s1-framing.js';
import { apiCases } from './s3-api.js';

export const allCases: readonly ConformanceCase[] = [...framingCases, ...apiCases];
