"""Video mode: optical flow, the temporal frame loop, resumable work folders, steadiness metric."""
