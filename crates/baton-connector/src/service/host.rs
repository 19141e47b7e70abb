//! Who is calling: the host id sent with every request and the operating
//! system description of the Hello message. ConductorOne requires every
//! OS field to be non-empty, so anything unknown is reported as `unknown`.

use baton_proto::baton_v1::baton_service_hello_request::OsInfo;

/// `BATON_HOST_ID` overrides the hostname as the host id.
pub const HOST_ID_ENV: &str = "BATON_HOST_ID";

const UNKNOWN: &str = "unknown";

/// `BATON_HOST_ID` if set and non-empty, else the hostname, else `baton-sdk` (as baton-sdk).
pub fn host_id_from_env() -> String {
    std::env::var(HOST_ID_ENV)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .or_else(hostname)
        .unwrap_or_else(|| "baton-sdk".to_owned())
}

/// The machine's hostname.
pub fn hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the pointer and length describe `buf`, which outlives the call.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
        (!name.is_empty()).then_some(name)
    }
    #[cfg(not(unix))]
    {
        std::env::var("COMPUTERNAME").ok().filter(|v| !v.is_empty())
    }
}

/// The Hello message's description of this machine.
pub fn os_info() -> OsInfo {
    let release = os_release();
    let (kernel_version, kernel_arch) = kernel();
    let field = |v: Option<String>| {
        v.filter(|s| !s.is_empty())
            .unwrap_or_else(|| UNKNOWN.to_owned())
    };
    let platform = release.id.clone();
    let family = release.id_like.or_else(|| release.id.clone());
    OsInfo {
        hostname: field(hostname()),
        os: std::env::consts::OS.to_owned(),
        platform: field(platform),
        platform_version: field(release.version_id),
        platform_family: field(family),
        kernel_version: field(kernel_version),
        kernel_arch: field(kernel_arch.or_else(|| Some(std::env::consts::ARCH.to_owned()))),
        virtualization_system: virtualization(),
    }
}

#[derive(Debug, Default, PartialEq)]
struct OsRelease {
    id: Option<String>,
    id_like: Option<String>,
    version_id: Option<String>,
}

fn os_release() -> OsRelease {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|text| parse_os_release(&text))
        .unwrap_or_default()
}

/// `ID`, the first word of `ID_LIKE`, and `VERSION_ID` of an os-release file.
fn parse_os_release(text: &str) -> OsRelease {
    let mut out = OsRelease::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').trim_matches('\'').to_owned();
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "ID" => out.id = Some(value),
            "ID_LIKE" => out.id_like = value.split_whitespace().next().map(str::to_owned),
            "VERSION_ID" => out.version_id = Some(value),
            _ => {}
        }
    }
    out
}

/// Kernel release and machine architecture (`uname -r`, `uname -m`).
fn kernel() -> (Option<String>, Option<String>) {
    #[cfg(unix)]
    {
        // SAFETY: `utsname` is plain old data; uname fills it or fails.
        let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
        // SAFETY: `uts` is a valid, writable utsname.
        if unsafe { libc::uname(&mut uts) } != 0 {
            return (None, None);
        }
        let text = |field: &[libc::c_char]| {
            let bytes: Vec<u8> = field
                .iter()
                .take_while(|c| **c != 0)
                .map(|c| *c as u8)
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned()).filter(|s| !s.is_empty())
        };
        (text(&uts.release), text(&uts.machine))
    }
    #[cfg(not(unix))]
    {
        (None, None)
    }
}

/// A container runtime if one is evident, else `none` (as gopsutil reports).
fn virtualization() -> String {
    let exists = |p: &str| std::path::Path::new(p).exists();
    if exists("/.dockerenv") {
        return "docker".to_owned();
    }
    if exists("/run/.containerenv") {
        return "podman".to_owned();
    }
    if let Ok(cgroup) = std::fs::read_to_string("/proc/self/cgroup") {
        for name in ["lxc", "docker"] {
            if cgroup.contains(name) {
                return name.to_owned();
            }
        }
    }
    "none".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_fields() {
        let parsed = parse_os_release(
            "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nID=ubuntu\nID_LIKE=\"debian\"\nVERSION_ID=\"24.04\"\n",
        );
        assert_eq!(
            parsed,
            OsRelease {
                id: Some("ubuntu".into()),
                id_like: Some("debian".into()),
                version_id: Some("24.04".into()),
            }
        );
        let rhel = parse_os_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
        assert_eq!(rhel.id_like.as_deref(), Some("rhel"));
    }

    #[test]
    fn every_os_field_is_filled() {
        let info = os_info();
        for (name, value) in [
            ("hostname", &info.hostname),
            ("os", &info.os),
            ("platform", &info.platform),
            ("platform_version", &info.platform_version),
            ("platform_family", &info.platform_family),
            ("kernel_version", &info.kernel_version),
            ("kernel_arch", &info.kernel_arch),
            ("virtualization_system", &info.virtualization_system),
        ] {
            assert!(!value.is_empty(), "{name} is empty");
        }
    }
}
