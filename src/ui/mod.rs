//! Widgets: a pure function of the board snapshot and the view state.
