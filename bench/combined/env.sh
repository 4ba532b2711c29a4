# Sourced by the third-round scripts: the settings every run here used, dl (the command line from the work folder's
# dl2/: a copy of this revision's densitylab-cli/target/densitylab.jar and lib/) and the FashionMNIST battery.
export OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728
export ONEDNN_MAX_CPU_ISA=AVX TORCH_CPP_LOG_LEVEL=ERROR
dl() { /usr/bin/time -v java -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
  -Dai.djl.pytorch.num_interop_threads=1 -cp "dl2/densitylab.jar:dl2/lib/*" densitylab.cli.Main "$@"; }
OUTS="mnist noise gaussian-noise constant fashion-mnist+invert fashion-mnist+vflip fashion-mnist+hflip fashion-mnist+rot90 fashion-mnist+blur=1 fashion-mnist+contrast=0.5 fashion-mnist+pixel-shuffle fashion-mnist+patch-shuffle=4 fashion-mnist+patch-shuffle=2"
