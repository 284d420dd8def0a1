//! Dense numeric ids for the entities of one snapshot lineage.
//!
//! Ids are assigned when an entity enters a snapshot and never reused by the
//! snapshots derived from it; a recompiled snapshot may number things
//! differently, so ids never leave the process: names do.

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// The id as an index into the snapshot's tables.
            #[must_use]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// A user of one snapshot lineage.
    UserId
);
dense_id!(
    /// A group of one snapshot lineage.
    GroupId
);
dense_id!(
    /// A project of one snapshot lineage.
    ProjectId
);
dense_id!(
    /// A global or project role of one snapshot lineage.
    RoleId
);
dense_id!(
    /// A global or project environment of one snapshot lineage.
    EnvId
);

/// An action of the catalogue, interned at load: at most 128 exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(pub(crate) u8);

impl ActionId {
    /// The action's position in the catalogue.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
