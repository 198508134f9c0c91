// A status light: green, red, or grey when unknown.
export function Dot({ ok }: { ok: boolean | null }) {
  const cls = ok === null ? "dot dot-unknown" : ok ? "dot dot-ok" : "dot dot-bad";
  return <span className={cls} aria-hidden="true" />;
}
