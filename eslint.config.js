// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The protocol layers (actors, kv) must be deterministic: time, timers and
// randomness come only through the context, and they never touch the broker.
const impureGlobals = ["Date", "setTimeout", "setInterval", "setImmediate", "performance", "process"].map(
  (name) => ({ name, message: "actors and kv reach the world only through the Context" }),
);

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "docs/api/**", "coverage/**", "**/*.html"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/actors/**/*.ts", "src/kv/**/*.ts", "src/schemas/**/*.ts", "src/protocols/**/*.ts"],
    // A protocol's model-checking scenarios are written in the search's vocabulary (src/search).
    ignores: ["src/protocols/*/search/**"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-globals": ["error", ...impureGlobals],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "use ctx.random()" },
        { object: "Date", property: "now", message: "use ctx.now()" },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["amqplib", "amqplib/*", "**/broker/**", "**/sim/**", "node:*"],
              message: "protocol code is pure",
            },
          ],
        },
      ],
    },
  },
  {
    // Drivers run any protocol: they reach one through src/protocols/protocol.ts, its *Support.ts
    // parts and the registry, never through the files of its folder (DESIGN §9).
    files: [
      "src/{sim,search,broker,memory,chaos,dashboard,bench,cli,client,gateway,check}/**/*.ts",
      "src/index.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "/protocols/[a-z]+/",
              message: "drivers reach a protocol only through src/protocols/protocol.ts and the registry",
            },
          ],
        },
      ],
    },
  },
);
