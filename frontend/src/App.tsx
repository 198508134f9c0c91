// The page frame: header with navigation, and the four pages.
import { NavLink, Route, Routes } from "react-router-dom";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { SystemPage } from "./pages/SystemPage";
import { UploadPage } from "./pages/UploadPage";

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="posepipe home">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          posepipe
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Upload
          </NavLink>
          <NavLink to="/jobs">Jobs</NavLink>
          <NavLink to="/system">System</NavLink>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<UploadPage />} />
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/jobs/:id" element={<JobPage />} />
          <Route path="/system" element={<SystemPage />} />
          <Route
            path="*"
            element={
              <section className="page">
                <h1>Not found</h1>
                <p>
                  Nothing lives at this address. <NavLink to="/jobs">See the jobs</NavLink>.
                </p>
              </section>
            }
          />
        </Routes>
      </main>
    </>
  );
}
