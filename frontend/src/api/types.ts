// Names for the API's schemas, so components do not spell out the generated paths.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Job = Schemas["JobPublic"];
export type JobList = Schemas["JobsPublic"];
export type JobStatus = Job["status"];
export type JobProgress = Job["progress"];
export type JobError = NonNullable<Job["error"]>;
export type Attempt = Schemas["AttemptPublic"];
export type UploadAccepted = Schemas["VideoCreated"];
export type Readiness = Schemas["ReadyStatus"];
export type DependencyStatus = Schemas["DependencyStatus"];
export type Worker = Schemas["WorkerPublic"];
export type WorkerList = Schemas["WorkersPublic"];
export type GpuReading = Schemas["GpuReading"];
export type JobMemory = Schemas["JobMemory"];
export type ServiceMemory = Schemas["ServiceMemory"];
export type SystemMemory = Schemas["SystemMemory"];

export const TERMINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "canceled"];

/** Whether a job has ended and will not change any more. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
