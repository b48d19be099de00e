//! `[video_app]`: Twilio's reference app, twilio-video-app-react (built with
//! `REACT_APP_SET_AUTH=passcode`), served in place of Confide's own pages,
//! and the passcode its sign-in page asks for. The app's files are served
//! by [`crate::web_files`] as a single-page app (a path that is not a file
//! is its `index.html`); the token server it calls, `POST /token`, is
//! [`crate::http::video_app`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Shorter passcodes fall to guessing even at the rate limit's pace.
pub const MIN_PASSCODE_CHARS: usize = 8;

/// The `[video_app]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VideoAppConfig {
    /// The app's build folder: `index.html`, its scripts and styles.
    pub dir: PathBuf,
    /// What people type on the app's sign-in page.
    pub passcode: String,
}

impl VideoAppConfig {
    /// `web_dir` is the configuration's other source of pages: the two
    /// cannot both be served at `/`.
    pub fn validate(&self, web_dir: Option<&Path>) -> Result<(), String> {
        if web_dir.is_some() {
            return Err(
                "web_dir and [video_app] both replace Confide's web pages: set one \
                 (web_dir for your own copy of Confide's pages, [video_app] for twilio-video-app-react)"
                    .to_owned(),
            );
        }
        if self.passcode.chars().count() < MIN_PASSCODE_CHARS {
            return Err(format!(
                "video_app.passcode must be at least {MIN_PASSCODE_CHARS} characters"
            ));
        }
        if self.passcode.chars().any(char::is_control) {
            return Err(
                "video_app.passcode must not contain control characters (line breaks, tabs, …)"
                    .to_owned(),
            );
        }
        if !self.index_html().is_file() {
            return Err(format!(
                "video_app.dir: {} has no index.html (point it at the app's build folder)",
                self.dir.display()
            ));
        }
        Ok(())
    }

    /// The page every path that is not a file gets.
    pub fn index_html(&self) -> PathBuf {
        self.dir.join("index.html")
    }
}
