# The emulator as a container: serves on 0.0.0.0:4583, state in the /data volume.
# BASE: any image with Python >= 3.11 and pip (the default needs a registry that serves it).
ARG BASE=python:3.11-slim
FROM ${BASE}
WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY api_models ./api_models
RUN pip install --no-cache-dir . && useradd --create-home emulator && mkdir /data && chown emulator /data
USER emulator
VOLUME ["/data"]
EXPOSE 4583
ENV SSM_EMULATOR_HOST=0.0.0.0 SSM_EMULATOR_PORT=4583 SSM_EMULATOR_DATA_DIR=/data
CMD ["ssm-emulator"]
