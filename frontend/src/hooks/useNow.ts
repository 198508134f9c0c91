// The current time, ticking while `enabled`: for "running for 42 s" labels.
import { useEffect, useState } from "react";

export function useNow(enabled: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [enabled, everyMs]);
  return now;
}
