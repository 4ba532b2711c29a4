# Sourced by the bench scripts that run densitylab on another DJL/libtorch than the project's.
#
#   djl_lib_dir DJL_VERSION LIBTORCH_VERSION DIR
#
# fills DIR with densitylab-cli/target/lib's jars (links), DJL's four jars replaced by those versions, fetched from
# Maven Central into the local repository when missing. Run from the repository root after a build.
djl_lib_dir() {
  local djl="$1" torch="$2" dir="$3" repo a f
  repo="$(mvn -B -q -Dstyle.color=never help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null \
          | sed 's/\x1b\[[0-9;]*m//g' || true)"
  [ -d "$repo" ] || repo="$HOME/.m2/repository"
  for a in "ai.djl:api:$djl" "ai.djl.pytorch:pytorch-engine:$djl" "ai.djl.pytorch:pytorch-jni:$torch-$djl" \
           "ai.djl.pytorch:pytorch-native-cpu:$torch:jar:linux-x86_64"; do
    mvn -B -q dependency:get -Dartifact="$a" -Dtransitive=false >/dev/null 2>&1 || { echo "cannot fetch $a" >&2; return 1; }
  done
  for f in densitylab-cli/target/lib/*.jar; do
    case "$(basename "$f")" in api-*|pytorch-engine-*|pytorch-jni-*|pytorch-native-cpu-*) ;; *) ln -s "$PWD/$f" "$dir/" ;; esac
  done
  ln -s "$repo/ai/djl/api/$djl/api-$djl.jar" "$repo/ai/djl/pytorch/pytorch-engine/$djl/pytorch-engine-$djl.jar" \
        "$repo/ai/djl/pytorch/pytorch-jni/$torch-$djl/pytorch-jni-$torch-$djl.jar" \
        "$repo/ai/djl/pytorch/pytorch-native-cpu/$torch/pytorch-native-cpu-$torch-linux-x86_64.jar" "$dir/"
}
