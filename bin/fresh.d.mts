/** Whether `compiled` exists and no `.ts` file under `sources` is newer (see fresh.mjs). */
export declare function compiledIsFresh(compiled: string, sources: string): boolean;
