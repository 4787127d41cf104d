// What the model checker (src/search) asks of a protocol beyond its actors.
// The search's own generic parts stay in src/search; a protocol supplies how
// to copy and hash its states, its scenarios and its planted bugs.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the search becomes protocol-generic
export interface SearchSupport<_Config> {}
