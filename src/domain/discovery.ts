import type { z } from 'zod';
import type { CriterionDefinitionSchema } from './columns.ts';

/**
 * Discovery: from a question ("AI startups in logistics") to a company table of graded candidates.
 * A **discovery task** searches the web for matching companies, builds a company table with a
 * `discovery_scores` column holding its criteria, runs it (each row graded 1–5 on every criterion),
 * and serves the rows as results sorted by relevance (the mean grade).
 */
export type CriterionDefinition = z.output<typeof CriterionDefinitionSchema>;

export const DISCOVERY_STATUSES = ['created', 'in_progress', 'done', 'failed'] as const;
export type DiscoveryStatus = (typeof DISCOVERY_STATUSES)[number];

export const MAX_DISCOVERY_RESULTS = 250;
export const DEFAULT_DISCOVERY_RESULTS = 100;

export interface DiscoveryTask {
  id: string;
  workspaceId: string;
  query: string;
  desiredNumResults: number;
  /** Given, or inferred from the query once the task starts (empty until then). */
  criteria: CriterionDefinition[];
  excludeDomains: string[];
  status: DiscoveryStatus;
  /** The company table the candidates were written to, once built. */
  tableId: string | null;
  /** The run grading them. */
  runId: string | null;
  /** Companies the search found (rows of the table). */
  numCandidates: number;
  /** The search ran out of new companies before reaching `desiredNumResults`. */
  exhausted: boolean;
  /** Why the task has fewer results than asked, or failed. */
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One criterion's grade of one company, as the `discovery_scores` column answers it. */
export interface CriterionScore {
  grade: number;
  explanation: string;
}

/** How relevant a company is: the mean of its grades (0 when it has none). */
export function relevanceOf(scores: Record<string, CriterionScore> | null | undefined): number {
  const grades = Object.values(scores ?? {})
    .map((score) => score?.grade)
    .filter((grade): grade is number => typeof grade === 'number');
  if (grades.length === 0) return 0;
  return Math.round((grades.reduce((sum, grade) => sum + grade, 0) / grades.length) * 100) / 100;
}
