//! The in-memory channel layer: one process, connections and groups in a map behind a
//! `std::sync::RwLock`. No lock is held across an await (there are none); deliveries are
//! `try_send`s done under the read lock.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{ChannelLayer, ConnId, LayerError, Mailbox, Origin, Payload, SendOptions, SendReport};
use crate::channel::BoxFuture;

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, (Mailbox, MemberOf)>,
    /// Group name → members; the name is shared with each member's [`MemberOf`].
    groups: HashMap<Arc<str>, HashMap<ConnId, Mailbox>>,
}

/// The groups one connection is in. Every connection keeps one, and most are in one or two
/// groups: a short list (exactly sized; empty allocates nothing) until it grows past
/// [`MemberOf::FEW`], then a set.
enum MemberOf {
    Few(Vec<Arc<str>>),
    Many(HashSet<Arc<str>>),
}

impl Default for MemberOf {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl MemberOf {
    const FEW: usize = 8;

    fn insert(&mut self, group: Arc<str>) {
        match self {
            Self::Few(list) => {
                if list.contains(&group) {
                    return;
                }
                if list.len() < Self::FEW {
                    list.reserve_exact(1);
                    list.push(group);
                } else {
                    let mut set: HashSet<Arc<str>> = list.drain(..).collect();
                    set.insert(group);
                    *self = Self::Many(set);
                }
            }
            Self::Many(set) => {
                set.insert(group);
            }
        }
    }

    fn remove(&mut self, group: &str) {
        match self {
            Self::Few(list) => list.retain(|g| &**g != group),
            Self::Many(set) => {
                set.remove(group);
            }
        }
    }

    fn into_vec(self) -> Vec<Arc<str>> {
        match self {
            Self::Few(list) => list,
            Self::Many(set) => set.into_iter().collect(),
        }
    }
}

/// A channel layer for a single process (the default).
pub struct MemoryLayer {
    state: RwLock<State>,
    seed: u64,
    next: AtomicU64,
}

impl Default for MemoryLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("MemoryLayer")
            .field("connections", &state.conns.len())
            .field("groups", &state.groups.len())
            .finish()
    }
}

impl MemoryLayer {
    /// An empty layer.
    pub fn new() -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let seed = splitmix64(now as u64 ^ (std::process::id() as u64) << 32);
        Self { state: RwLock::new(State::default()), seed, next: AtomicU64::new(1) }
    }

    /// Number of attached connections.
    pub fn connections(&self) -> usize {
        self.read().conns.len()
    }

    /// Number of members of a group.
    pub fn group_len(&self, group: &str) -> usize {
        self.read().groups.get(group).map_or(0, HashMap::len)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn send_now(&self, to: &ConnId, payload: Payload, options: &SendOptions) -> SendReport {
        let mut report = SendReport::default();
        let state = self.read();
        match state.conns.get(to) {
            Some((mb, _)) => report.count(mb.deliver(payload, Origin::Event, options.volatile)),
            None => report.gone += 1,
        }
        report
    }

    fn group_send_now(&self, group: &str, payload: Payload, options: &SendOptions) -> SendReport {
        let mut report = SendReport::default();
        let state = self.read();
        if let Some(members) = state.groups.get(group) {
            for (id, mb) in members {
                if options.except.as_ref() == Some(id) {
                    continue;
                }
                report.count(mb.deliver(payload.clone(), Origin::Group, options.volatile));
            }
        }
        report
    }

    fn group_add_now(&self, group: &str, id: &ConnId) -> Result<(), LayerError> {
        let mut state = self.write();
        let State { conns, groups } = &mut *state;
        let (mb, member_of) = conns.get_mut(id).ok_or_else(|| LayerError::NotAttached(id.clone()))?;
        let name = match groups.get_key_value(group) {
            Some((name, _)) => name.clone(),
            None => Arc::from(group),
        };
        member_of.insert(name.clone());
        groups.entry(name).or_default().insert(id.clone(), mb.clone());
        Ok(())
    }

    fn group_discard_now(&self, group: &str, id: &ConnId) {
        let mut state = self.write();
        if let Some((_, member_of)) = state.conns.get_mut(id) {
            member_of.remove(group);
        }
        remove_member(&mut state.groups, group, id);
    }
}

fn remove_member(groups: &mut HashMap<Arc<str>, HashMap<ConnId, Mailbox>>, group: &str, id: &ConnId) {
    if let Some(members) = groups.get_mut(group) {
        members.remove(id);
        if members.is_empty() {
            groups.remove(group);
        }
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl ChannelLayer for MemoryLayer {
    fn new_conn_id(&self) -> ConnId {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut x = splitmix64(self.seed ^ n);
        let mut id = String::with_capacity(22);
        id.push_str("memory!");
        for _ in 0..10 {
            id.push(ALPHABET[(x % 62) as usize] as char);
            x /= 62;
        }
        ConnId::new(format!("{id}{n:x}"))
    }

    fn attach(&self, mailbox: Mailbox) {
        let id = mailbox.id().clone();
        self.write().conns.insert(id, (mailbox, MemberOf::default()));
    }

    fn detach(&self, id: &ConnId) {
        let mut state = self.write();
        if let Some((_, member_of)) = state.conns.remove(id) {
            for group in member_of.into_vec() {
                remove_member(&mut state.groups, &group, id);
            }
        }
    }

    fn send<'a>(
        &'a self,
        to: &'a ConnId,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>> {
        let report = self.send_now(to, payload, &options);
        Box::pin(std::future::ready(Ok(report)))
    }

    fn group_add<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>> {
        Box::pin(std::future::ready(self.group_add_now(group, id)))
    }

    fn group_discard<'a>(&'a self, group: &'a str, id: &'a ConnId) -> BoxFuture<'a, Result<(), LayerError>> {
        self.group_discard_now(group, id);
        Box::pin(std::future::ready(Ok(())))
    }

    fn group_send<'a>(
        &'a self,
        group: &'a str,
        payload: Payload,
        options: SendOptions,
    ) -> BoxFuture<'a, Result<SendReport, LayerError>> {
        let report = self.group_send_now(group, payload, &options);
        Box::pin(std::future::ready(Ok(report)))
    }
}

#[cfg(test)]
mod tests {
    use super::MemberOf;

    fn names(m: MemberOf) -> Vec<String> {
        let mut all: Vec<String> = m.into_vec().iter().map(|g| g.to_string()).collect();
        all.sort();
        all
    }

    #[test]
    fn member_of_keeps_a_short_list_without_duplicates() {
        let mut m = MemberOf::default();
        m.insert("a".into());
        m.insert("a".into());
        m.insert("b".into());
        assert!(matches!(&m, MemberOf::Few(list) if list.len() == 2));
        m.remove("a");
        m.remove("missing");
        assert_eq!(names(m), ["b"]);
    }

    #[test]
    fn member_of_grows_into_a_set() {
        let mut m = MemberOf::default();
        for i in 0..20 {
            m.insert(format!("g{i:02}").as_str().into());
            m.insert(format!("g{i:02}").as_str().into());
        }
        assert!(matches!(&m, MemberOf::Many(set) if set.len() == 20));
        m.remove("g03");
        let all = names(m);
        assert_eq!(all.len(), 19);
        assert!(!all.contains(&"g03".to_owned()));
    }
}
