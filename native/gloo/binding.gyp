{
  "targets": [
    {
      "target_name": "normscope_gloo",
      "sources": ["src/addon.cc", "src/tcp_store.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2"],
      "libraries": ["-lgloo"]
    }
  ]
}
