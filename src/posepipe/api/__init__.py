"""backend-api: FastAPI app factory, routes, dependencies and the one error mapping.

Never imports a pose backend, torch, mediapipe or cv2 (an import-linter contract).
"""
