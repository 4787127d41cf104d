// `npm test` runs this first (package.json's `pretest`): whatever the suite
// needs beyond npm packages is found or set up (test/support/prerequisites.ts).
import { setUpPrerequisites } from "../test/support/prerequisites.js";

await setUpPrerequisites();
