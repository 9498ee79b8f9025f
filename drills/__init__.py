"""Drill engine and catalog: pure state machines over Frames that emit cue intents and results."""
