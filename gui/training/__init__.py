"""Training the layer from the window: the Train tab's state, and the controller that sends
it to the engine and brings the learned weights back into the AppState."""
