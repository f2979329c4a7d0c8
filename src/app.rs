//! View state and the actions keys map to.
