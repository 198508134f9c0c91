// The generated types must be what `npm run gen:api` makes of the checked-in openapi.json
// (tests/unit/test_openapi_frontend.py checks openapi.json against the running app).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";

describe("src/api/schema.d.ts", () => {
  it("is generated from openapi.json as it is now", async () => {
    const document = JSON.parse(readFileSync(resolve(process.cwd(), "openapi.json"), "utf-8"));
    const generated = astToString(await openapiTS(document));
    const checkedIn = readFileSync(resolve(process.cwd(), "src/api/schema.d.ts"), "utf-8");
    const body = checkedIn.slice(checkedIn.indexOf("export "));
    expect(body, "run `npm run gen:api` in frontend/").toBe(generated);
  });
});
