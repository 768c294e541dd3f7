"""The two fragment shaders of the rig renders, plugged into pyrender's shader cache.

- Lit pass (pyrender's `mesh.frag` slot): Lambert shading, an ambient term plus the scene's
  directional light, vertex colours as linear albedo, gamma 2.2 out. pyrender's own PBR shader
  costs several times more per pixel on a CPU rasteriser and its look is not needed here.
- Id pass (pyrender's `segmentation.frag` slot, drawn without multisampling): the index of the
  triangle (+1) in RGB; 0 is the background.

pyrender's vertex shaders, uniforms and draw calls are used unchanged.
"""

from __future__ import annotations

import os

import OpenGL.contextdata
from pyrender.shader_program import ShaderProgram, ShaderProgramCache

LIT_FRAGMENT = """#version 330 core
struct DirectionalLight { vec3 color; float intensity; vec3 direction; };
uniform DirectionalLight directional_lights[1];
uniform int n_directional_lights;
uniform vec3 ambient_light;
in vec3 frag_position;
in vec3 frag_normal;
in vec4 color_multiplier;
out vec4 frag_color;
void main()
{
    vec3 n = normalize(frag_normal);
    if (!gl_FrontFacing) n = -n;
    vec3 light = ambient_light;
    if (n_directional_lights > 0) {
        DirectionalLight key = directional_lights[0];
        light += key.color * key.intensity * max(dot(n, -key.direction), 0.0);
    }
    frag_color = vec4(pow(clamp(light * color_multiplier.rgb, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
}
"""

FACE_ID_FRAGMENT = """#version 330 core
out vec4 frag_color;
void main()
{
    uint id = uint(gl_PrimitiveID) + 1u;
    vec3 bytes = vec3(float(id & 255u), float((id >> 8u) & 255u), float((id >> 16u) & 255u));
    frag_color = vec4(bytes / 255.0, 1.0);
}
"""

REPLACED = {"mesh.frag": LIT_FRAGMENT, "segmentation.frag": FACE_ID_FRAGMENT}


class _RigProgram(ShaderProgram):
    """A pyrender program whose fragment shader source comes from REPLACED."""

    def _load(self, shader_filename: str) -> str:
        source = REPLACED.get(os.path.basename(shader_filename))
        return source if source is not None else super()._load(shader_filename)


class RigShaderCache(ShaderProgramCache):
    """pyrender's shader cache with the lit and id fragment shaders of this module."""

    def get_program(self, vertex_shader, fragment_shader, geometry_shader=None, defines=None):
        if fragment_shader not in REPLACED or geometry_shader is not None:
            return super().get_program(vertex_shader, fragment_shader, geometry_shader, defines)
        defines = defines or {}
        key = ("vdm-rig", OpenGL.contextdata.getContext(), fragment_shader, tuple(sorted(defines.items())))
        if key not in self._program_cache:
            self._program_cache[key] = _RigProgram(
                os.path.join(self.shader_dir, vertex_shader), fragment_shader, None, defines
            )
        return self._program_cache[key]
